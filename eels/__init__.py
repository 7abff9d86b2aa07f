"""eels"""
