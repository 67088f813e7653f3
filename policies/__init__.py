"""policies - service-level maths, stock policies and network optimisation.

A numeric leaf library (DESIGN.md §2): it imports numpy, scipy, pandas and
pulp only - never ``partsopt`` or ``forecasting``.
"""
