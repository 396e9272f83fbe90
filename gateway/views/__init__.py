"""The gateway's views, one mixin per area; GatewayApp (gateway/app.py) combines them."""
