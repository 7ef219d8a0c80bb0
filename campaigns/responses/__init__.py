"""What recipients did after reading: offer-code conversions and orders attributed to campaigns."""
