"""forecasting - intermittent and lumpy demand forecasting on numpy panels.

A numeric leaf library (DESIGN.md §2): it imports numpy, scipy, pandas and
statsmodels only - never ``partsopt`` or ``policies``.
"""
