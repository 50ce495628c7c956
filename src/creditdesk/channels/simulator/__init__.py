"""The channel provider simulators: our stand-ins for the providers we cannot reach, in their real shapes.

- ``/simulators/sms/…`` — an SMS gateway in the shape of Exotel's SMS API (:mod:`.sms`);
- ``/simulators/whatsapp/…`` — the WhatsApp Business Cloud API (:mod:`.whatsapp`);
- ``/simulators/voice/…`` — an IVR call gateway in the shape of Exotel's call API (:mod:`.voice`).

Each keeps its state in memory, signs its callbacks (HMAC-SHA256 over the raw body), makes one message
per client reference, behaves by the recipient's last digit (the table in :mod:`.state`) and takes
the faults of :mod:`.runner` (latency, errors, a timeout or a lost answer after the request was
applied, duplicate and out-of-order receipts). Mounted beside the other simulators in dev/demo mode
by :func:`mount_simulators`; standalone with :func:`build_channel_simulator_app`.
"""

from fastapi import FastAPI

from creditdesk.channels.simulator import sms, whatsapp
from creditdesk.channels.simulator.app import ChannelSimulators, build_channel_simulator_app, build_router
from creditdesk.channels.simulator.state import ChannelFaults
from creditdesk.config import Settings

__all__ = [
    "ChannelFaults",
    "ChannelSimulators",
    "build_channel_simulator_app",
    "build_router",
    "mount_simulators",
]


def mount_simulators(app: FastAPI, settings: Settings) -> None:
    """Serve the SMS, WhatsApp and voice simulators under ``/simulators/…`` in demo/dev mode only.

    Their sandbox accounts exist from the start (``GET /simulators/{channel}/sandbox-credentials``);
    where inbound replies and WhatsApp webhooks go is set with each simulator's control routes.
    """
    if not settings.is_dev_like:
        return
    sims = ChannelSimulators()
    # the sandbox accounts answer the demo tenant: replies and WhatsApp webhooks go to its endpoint
    hooks = f"{settings.own_base_url}/api/v1/webhooks/channels/{settings.demo_tenant_slug}"
    sims.sms.configure(
        sms.SANDBOX_SID,
        sms.SmsSetup(
            api_key=sms.SANDBOX_API_KEY,
            api_token=sms.SANDBOX_API_TOKEN,
            webhook_secret=sms.SANDBOX_WEBHOOK_SECRET,
            inbound_url=f"{hooks}/sms",
        ),
    )
    sims.whatsapp.configure(
        whatsapp.SANDBOX_PHONE_NUMBER_ID,
        whatsapp.WhatsAppSetup(
            access_token=whatsapp.SANDBOX_ACCESS_TOKEN,
            app_secret=whatsapp.SANDBOX_APP_SECRET,
            webhook_url=f"{hooks}/whatsapp",
        ),
    )
    app.include_router(build_router(sims))
