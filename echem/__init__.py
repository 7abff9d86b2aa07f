"""echem"""
