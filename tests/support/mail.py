"""A real SMTP server's side (aiosmtpd): what it was sent."""

class Collector:
    """aiosmtpd's handler keeping each message: (from, [to], bytes)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


