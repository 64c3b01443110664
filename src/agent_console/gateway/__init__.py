"""The channel gateway: an ASGI app (Starlette on uvicorn) over the same services as the
console and the CLI. Customers' messages come in signed; agent replies, end lines and CSAT
requests go out from the outbox; a web chat page lets a person be the customer in a browser.
It keeps no state of its own: any number of gateways can serve one PostgreSQL."""
