"""stem"""
