"""Data shipped with the package and their loaders: the shop-type taxonomy, the demo town."""
