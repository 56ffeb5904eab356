# The one version of patch-securityhub: pyproject.toml, the package manifests and ProviderVersion read it.
__version__ = "0.1.0"
