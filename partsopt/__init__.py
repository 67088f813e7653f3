"""partsopt - spare-parts inventory optimisation for after-sales dealer networks.

Repair history -> demand forecasts -> stock policies per part and location ->
weekly order suggestions; a replay simulator measures hit rate, on-time
delivery and cost and gives every miss a root cause.  See docs/ and README.md.
"""
__version__ = "0.1.0"
