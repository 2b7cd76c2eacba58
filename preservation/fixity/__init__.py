"""Fixity: a ledger of bags and checks, a scheduler, a runner (local or Dask), PREMIS history and reports."""
