"""Per account and Region: the KMS key of each function version that has a customer managed one."""

from __future__ import annotations

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute


class FunctionKeyStore(BaseStore):
    # function name -> version ("$LATEST", "1", ...) -> KMS key ARN, or None for the AWS managed key
    keys: dict[str, dict[str, str | None]] = LocalAttribute(default=dict)

    def key(self, function_name: str, version: str) -> str | None:
        return self.keys.get(function_name, {}).get(version)

    def set_key(self, function_name: str, version: str, key_arn: str | None) -> None:
        self.keys.setdefault(function_name, {})[version] = key_arn

    def snapshot_latest(self, function_name: str, version: str) -> None:
        """A newly published version keeps $LATEST's key; an existing one (nothing changed) keeps its own."""
        versions = self.keys.setdefault(function_name, {})
        versions.setdefault(version, versions.get("$LATEST"))

    def forget_version(self, function_name: str, version: str) -> None:
        self.keys.get(function_name, {}).pop(version, None)

    def forget_function(self, function_name: str) -> None:
        self.keys.pop(function_name, None)


function_key_stores = AccountRegionBundle("lambda", FunctionKeyStore)
