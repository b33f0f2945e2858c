"""The charterdesk command: wires desk/, nlu/, bot/, scheduler/ and sandbox/ into processes."""
