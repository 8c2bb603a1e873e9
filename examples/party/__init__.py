"""A LAN party game on lanwise: a host screen, CLI players and browser players.

Run ``python -m examples.party host`` on the big screen and ``python -m
examples.party join`` on each player (or open the URL the host shows).
See docs/party.md.
"""
