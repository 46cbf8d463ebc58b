"""Data files shipped with the package: the shop-type taxonomy and the demo town."""
