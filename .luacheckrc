std = "max"
max_line_length = 120
exclude_files = { "build/**" }
files["spec/**"] = { std = "+busted" }
files["sandbox/**"] = { globals = { "ngx" } }
files["lua/clevertap/transport/**"] = { read_globals = { "ngx" } }
files["examples/openresty/**"] = { globals = { "ngx" } }
