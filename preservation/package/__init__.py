"""From a release to a package plan: what goes into the bag, and the records the metadata is built from."""
