"""Getting built audio to listeners: card bundles and the checks before anything travels."""
