"""Knowledge base: articles and versions, the text pipeline, the index and search, feedback."""
