"""xdomea 0503 transfers: the message model (`model`), its XML (`render`), the mapping from bags (`mapping`,
`dateiformat`), the export (`api`) and what `verify-transfer` checks in the containers (`verify`)."""
