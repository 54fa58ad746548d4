"""The SMS gateways: one small interface in front of each way a text can leave.

A gateway sends one queued `SmsMessage` and returns the provider's reference for it, or raises
`SmsRefused` carrying the provider's code, its message and whether a later try can help.
`gateway_for(app)` builds the one SMS_BACKEND names:

- `outbox` keeps the message for the admins' SMS outbox (no provider, no account) and, outside
  production, logs each verification code's text on the console, so `make run` needs nothing;
- `tencent` sends through Tencent Cloud's official SDK (SendSms, API 2021-01-11);
- `aliyun` sends through Alibaba Cloud's official SDK (Dysmsapi SendSms, API 2017-05-25).

Chinese carriers deliver only a registered signature and pre-approved templates: SMS_TEMPLATES
maps each kind to its template id and the names of its parameters in the template's order.
"""

from __future__ import annotations

import json
import logging
from typing import Protocol

from flask import Flask

from eventsite.config import ConfigurationError
from eventsite.sms import rules
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import SmsKind

log = logging.getLogger(__name__)

#: Seconds a provider call may take before it counts as a network fault (retried later).
PROVIDER_TIMEOUT_SECONDS = 10


class SmsRefused(Exception):
    """The provider did not take a message: its `code`, its `message`, and whether a later try
    can help (`retryable`: a rate limit, the network, the provider's own fault)."""

    def __init__(self, code: str, message: str, *, retryable: bool):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class SmsGateway(Protocol):
    #: "outbox", "tencent" or "aliyun".
    name: str
    #: True when a provider delivers the text to a phone (a code is then scrubbed from the row).
    delivers: bool

    def send(self, message: SmsMessage) -> str | None:
        """Send `message`; the provider's reference, or raise SmsRefused."""


class OutboxGateway:
    """Keeps each message in the admins' SMS outbox; logs verification codes in development."""

    name = "outbox"
    delivers = False

    def __init__(self, *, show_codes: bool, logger: logging.Logger):
        self.show_codes = show_codes
        self.logger = logger

    def send(self, message: SmsMessage) -> str | None:
        if self.show_codes and message.kind == SmsKind.CODE:
            self.logger.warning("SMS to %s: %s", rules.masked_mobile(message.mobile), message.body)
        return None


def _template(templates: dict, message: SmsMessage) -> tuple[str, list[str]]:
    """The template id of `message`'s kind and its parameter values in the template's order."""
    entry = templates[message.kind]
    values = [str(message.params.get(name, "")) for name in entry.get("params", [])]
    return str(entry["template"]), values


def _e164(mobile: str) -> str:
    return mobile if mobile.startswith("+") else f"+86{mobile}"


class TencentGateway:
    """Tencent Cloud SMS through `tencentcloud-sdk-python-sms` (SendSms, 2021-01-11)."""

    name = "tencent"
    delivers = True

    def __init__(self, config: dict):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        endpoint = config["SMS_TENCENT_ENDPOINT"]
        protocol = "http" if endpoint.startswith("http://") else "https"
        http_profile = HttpProfile(
            protocol=protocol,
            endpoint=endpoint.removeprefix("http://").removeprefix("https://"),
            reqTimeout=PROVIDER_TIMEOUT_SECONDS,
            keepAlive=True,
        )
        self.client = sms_client.SmsClient(
            credential.Credential(
                config["SMS_TENCENT_SECRET_ID"], config["SMS_TENCENT_SECRET_KEY"]
            ),
            config["SMS_TENCENT_REGION"],
            ClientProfile(httpProfile=http_profile),
        )
        self.app_id = config["SMS_TENCENT_SDK_APP_ID"]
        self.sign_name = config["SMS_SIGN_NAME"]
        self.templates = config["SMS_TEMPLATES"]

    def send(self, message: SmsMessage) -> str | None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        template_id, values = _template(self.templates, message)
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = values
        request.PhoneNumberSet = [_e164(message.mobile)]
        request.SessionContext = f"sms:{message.id}"
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.code or "NetworkError"
            raise SmsRefused(
                code, str(error.message or ""), retryable=rules.provider_retryable(self.name, code)
            ) from error
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise SmsRefused("NoSendStatus", "no status for the number", retryable=True)
        if status.Code != "Ok":
            raise SmsRefused(
                status.Code,
                status.Message or "",
                retryable=rules.provider_retryable(self.name, status.Code),
            )
        return status.SerialNo


class AliyunGateway:
    """Alibaba Cloud SMS through `alibabacloud_dysmsapi20170525` (SendSms, 2017-05-25)."""

    name = "aliyun"
    delivers = True

    def __init__(self, config: dict):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as open_api_models

        endpoint = config["SMS_ALIYUN_ENDPOINT"]
        self.client = Client(
            open_api_models.Config(
                access_key_id=config["SMS_ALIYUN_ACCESS_KEY_ID"],
                access_key_secret=config["SMS_ALIYUN_ACCESS_KEY_SECRET"],
                endpoint=endpoint.removeprefix("http://").removeprefix("https://"),
                protocol="http" if endpoint.startswith("http://") else "https",
                connect_timeout=PROVIDER_TIMEOUT_SECONDS * 1000,
                read_timeout=PROVIDER_TIMEOUT_SECONDS * 1000,
            )
        )
        self.sign_name = config["SMS_SIGN_NAME"]
        self.templates = config["SMS_TEMPLATES"]

    def send(self, message: SmsMessage) -> str | None:
        from alibabacloud_dysmsapi20170525 import models
        from Tea.exceptions import TeaException

        entry = self.templates[message.kind]
        names = entry.get("params", [])
        request = models.SendSmsRequest(
            phone_numbers=message.mobile.removeprefix("+86"),
            sign_name=self.sign_name,
            template_code=str(entry["template"]),
            template_param=json.dumps(
                {name: str(message.params.get(name, "")) for name in names},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            out_id=str(message.id),
        )
        try:
            response = self.client.send_sms(request)
        except TeaException as error:
            # A refusal answered with an HTTP error (Throttling.User, InvalidAccessKeyId…) has
            # its code; a broken connection comes wrapped, with none.
            code = error.code or "NetworkError"
            raise SmsRefused(
                code, str(error.message or ""), retryable=rules.provider_retryable(self.name, code)
            ) from error
        body = response.body
        if body.code != "OK":
            raise SmsRefused(
                body.code or "NoCode",
                body.message or "",
                retryable=rules.provider_retryable(self.name, body.code or ""),
            )
        return body.biz_id


#: The settings each provider cannot do without.
CREDENTIALS = {
    "tencent": ("SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_SDK_APP_ID"),
    "aliyun": ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET"),
}
GATEWAYS = {"tencent": TencentGateway, "aliyun": AliyunGateway}


def check_configuration(config: dict) -> None:
    """Raise ConfigurationError naming what SMS_BACKEND lacks: a known backend, a positive
    rate, its provider's credentials, the signature and a template for every kind."""
    backend = config["SMS_BACKEND"]
    if backend != "outbox" and backend not in GATEWAYS:
        raise ConfigurationError(
            f"SMS_BACKEND={backend!r} is unknown; use outbox, tencent or aliyun"
        )
    if not config["SMS_RATE_PER_SECOND"] > 0:
        raise ConfigurationError("SMS_RATE_PER_SECOND must be a positive number")
    if backend == "outbox":
        return
    missing = [name for name in CREDENTIALS[backend] if not config.get(name)]
    if not config.get("SMS_SIGN_NAME"):
        missing.append("SMS_SIGN_NAME")
    if missing:
        raise ConfigurationError(f"SMS_BACKEND={backend} needs {', '.join(missing)}")
    problems = rules.template_problems(config["SMS_TEMPLATES"])
    if problems:
        raise ConfigurationError("SMS_TEMPLATES: " + "; ".join(problems))


def gateway_for(app: Flask) -> SmsGateway:
    """The gateway SMS_BACKEND names, built from `app`'s settings (checked first)."""
    config = app.config
    check_configuration(config)
    backend = config["SMS_BACKEND"]
    if backend == "outbox":
        return OutboxGateway(show_codes=config.get("ENV_NAME") != "production", logger=app.logger)
    return GATEWAYS[backend](config)
