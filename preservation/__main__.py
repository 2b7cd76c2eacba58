from preservation.cli import main

raise SystemExit(main())
