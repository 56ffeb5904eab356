"""Product ARNs, the product catalog and who may import under which product.

A product ARN is arn:<partition>:securityhub:<region>:<account>:product/<company>/<product>, with an empty
account for AWS and partner products; an account's own custom integration is product/<account>/default
(user guide, "Using custom product integrations to send findings to Security Hub"). A subscription is
arn:...:<account>:product-subscription/<company>/<product> (API Reference, EnableImportFindingsForProduct).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PRODUCT_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?"
    r":product/(?P<company>[A-Za-z0-9._-]+)/(?P<product>[A-Za-z0-9._-]+)$"
)
_SUBSCRIPTION_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):securityhub:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":product-subscription/(?P<company>[A-Za-z0-9._-]+)/(?P<product>[A-Za-z0-9._-]+)$"
)

# The names findings of a custom integration carry when the provider sets none: ProductName "Default",
# CompanyName "Personal", as findings imported under product/<account>/default show them (the API Reference
# does not list these values).
CUSTOM_PRODUCT_NAME = "Default"
CUSTOM_COMPANY_NAME = "Personal"


@dataclass(frozen=True)
class ProductArn:
    partition: str
    region: str
    account: str  # "" for AWS and partner products
    company: str
    product: str

    @property
    def is_custom(self) -> bool:
        """The account's own `product/<account>/default` integration (custom findings)."""
        return bool(self.account) and self.company == self.account and self.product == "default"

    @property
    def is_aws(self) -> bool:
        return not self.account and self.company == "aws"

    def __str__(self) -> str:
        prefix = f"arn:{self.partition}:securityhub:{self.region}:{self.account}"
        return f"{prefix}:product/{self.company}/{self.product}"


def parse_product_arn(value: object) -> ProductArn | None:
    if not isinstance(value, str):
        return None
    match = _PRODUCT_ARN.match(value)
    if match is None:
        return None
    return ProductArn(
        match["partition"], match["region"], match["account"] or "", match["company"], match["product"]
    )


def parse_subscription_arn(value: str) -> tuple[str, str, str, str] | None:
    """(region, account, company, product) of a product subscription ARN."""
    match = _SUBSCRIPTION_ARN.match(value)
    if match is None:
        return None
    return match["region"], match["account"], match["company"], match["product"]


def subscription_arn(product: ProductArn, account_id: str) -> str:
    return (
        f"arn:{product.partition}:securityhub:{product.region}:{account_id}"
        f":product-subscription/{product.company}/{product.product}"
    )


def custom_product_arn(region: str, account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


def hub_arn(region: str, account_id: str, partition: str = "aws") -> str:
    # DescribeHub's HubArn, e.g. arn:aws:securityhub:us-west-1:123456789012:hub/default (API Reference)
    return f"arn:{partition}:securityhub:{region}:{account_id}:hub/default"


@dataclass(frozen=True)
class CatalogEntry:
    company: str
    product: str
    product_name: str
    company_name: str
    description: str
    categories: tuple[str, ...]
    integration_types: tuple[str, ...]


# A representative slice of the catalog DescribeProducts lists: AWS integrations (customers cannot import
# under them) and a few partner products (customers may import from within their account once subscribed)
# (user guide, "AWS service integrations" and "Third-party product integrations").
CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "aws",
        "securityhub",
        "Security Hub",
        "AWS",
        "Security Hub's own security standard control findings",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "ssm-patch-manager",
        "Systems Manager Patch Manager",
        "AWS",
        "Patch compliance findings from AWS Systems Manager Patch Manager",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "guardduty",
        "GuardDuty",
        "AWS",
        "Threat detection findings from Amazon GuardDuty",
        ("Threat Detection",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "inspector",
        "Inspector",
        "AWS",
        "Vulnerability findings from Amazon Inspector",
        ("Vulnerability",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "config",
        "Config",
        "AWS",
        "Config rule evaluation findings from AWS Config",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "access-analyzer",
        "IAM Access Analyzer",
        "AWS",
        "External access findings from IAM Access Analyzer",
        ("Identity and Access Management",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "firewall-manager",
        "Firewall Manager",
        "AWS",
        "Policy compliance findings from AWS Firewall Manager",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "health",
        "Health",
        "AWS",
        "Security-related events from AWS Health",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "iot-device-defender",
        "IoT Device Defender",
        "AWS",
        "Audit and detect findings from AWS IoT Device Defender",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aws",
        "macie",
        "Macie",
        "AWS",
        "Sensitive data and policy findings from Amazon Macie",
        ("Data Protection",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "prowler",
        "prowler",
        "Prowler",
        "Prowler",
        "Open source security assessments",
        ("Compliance",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
    CatalogEntry(
        "aquasecurity",
        "aquasecurity",
        "Aqua Security",
        "Aqua Security",
        "Container and image vulnerability findings",
        ("Vulnerability",),
        ("SEND_FINDINGS_TO_SECURITY_HUB",),
    ),
)


# "Unless indicated otherwise below, AWS service integrations that send findings to Security Hub CSPM are
# activated automatically after you enable Security Hub CSPM and the other service" (user guide, "AWS service
# integrations with Security Hub CSPM", securityhub-internal-providers: the services its overview lists as
# "Sends findings"). Enabling the hub subscribes these; the emulator takes "the other service" as enabled.
SUBSCRIBED_ON_ENABLE: tuple[str, ...] = (
    "config",
    "firewall-manager",
    "guardduty",
    "health",
    "access-analyzer",
    "inspector",
    "iot-device-defender",
    "macie",
    "ssm-patch-manager",
)


def subscribed_on_enable(region: str, partition: str = "aws") -> list[ProductArn]:
    """The AWS integrations a newly enabled hub is subscribed to, in catalog order."""
    return [
        ProductArn(partition, region, "", entry.company, entry.product)
        for entry in CATALOG
        if entry.company == "aws" and entry.product in SUBSCRIBED_ON_ENABLE
    ]


def catalog_entry(product: ProductArn) -> CatalogEntry | None:
    if product.account:
        return None
    for entry in CATALOG:
        if entry.company == product.company and entry.product == product.product:
            return entry
    return None


def catalog_product_arn(entry: CatalogEntry, region: str, partition: str = "aws") -> str:
    return f"arn:{partition}:securityhub:{region}::product/{entry.company}/{entry.product}"


def names_for(product: ProductArn) -> tuple[str, str]:
    """(ProductName, CompanyName) that Security Hub assigns to findings of `product`."""
    entry = catalog_entry(product)
    if entry is not None:
        return entry.product_name, entry.company_name
    if product.is_custom:
        return CUSTOM_PRODUCT_NAME, CUSTOM_COMPANY_NAME
    return product.product, product.company
