from decimal import Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_price(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as shoppers read it: '$1,234.50', or '12.00 CHF'."""
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{amount:,.2f} {currency}"
    return f"{symbol}{amount:,.2f}"
