"""The Tumblr adapter: NPF reading and writing, OAuth1 login (https://github.com/tumblr/docs).

Its registry entry is `spec.SPEC`.
"""
