"""Measures of the appraisal, one module per measure."""
