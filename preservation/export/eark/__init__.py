"""E-ARK SIP export (CSIP 2.1, SIP 2.1): one SIP per bag; see `api`."""
