"""One module per dashboard; :data:`grafana.generate.BOARDS` lists them."""
