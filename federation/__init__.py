"""The ActivityPub protocol: keys, HTTP signatures, WebFinger, NodeInfo, safe
fetching, inbox and delivery queue. Knows nothing about coworking."""
