"""From a release to a package plan: what goes into the bag, and the records the metadata is built from."""

SUPERSEDED = ".superseded"
"""``BAGS_DIR/.superseded/<identifier>/<bagging-date>/``: where `build --replace` keeps the bags it replaces.
Hidden, so that validating or exporting a folder of bags passes it by; fixity follows a replaced bag there."""
