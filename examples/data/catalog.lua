--- A tiny product catalog for examples/price_drop.lua: in real use this
-- module would read a price feed or a database export. Prices in INR.
return {
  currency = "INR",
  products = {
    { id = "SKU-1042", name = "Trail running shoes", old_price = 5999, new_price = 4499,
      url = "https://shop.example.com/p/SKU-1042" },
    { id = "SKU-2210", name = "Noise-cancelling headphones", old_price = 12999, new_price = 9999,
      url = "https://shop.example.com/p/SKU-2210" },
    { id = "SKU-3301", name = "Cast iron skillet", old_price = 2499, new_price = 2499,
      url = "https://shop.example.com/p/SKU-3301" },
  },
}
