from django import template

from shop.pricing import format_price

register = template.Library()


@register.filter
def money(amount, currency):
    return format_price(amount, currency)
