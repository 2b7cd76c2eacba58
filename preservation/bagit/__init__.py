"""RFC 8493 in one place: path encoding, tag files, manifests, bag readers and the bag writer."""
