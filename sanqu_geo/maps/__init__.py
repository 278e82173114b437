"""Maps: the interactive web map (folium), the print maps (matplotlib) and their basemaps.

Draws what other modules computed; never computes travel times.
"""
