"""The SMS gateways: each provider's official SDK with its HTTP layer (requests) faked by
`responses`, so the request the SDK would send is asserted exactly and nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from eventsite import create_app
from eventsite.config import ConfigurationError, from_environment
from eventsite.sms.gateway import (
    AliyunGateway,
    OutboxGateway,
    SmsRefused,
    TencentGateway,
    check_configuration,
    gateway_for,
)
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import KIND_PARAMS, SmsKind
from tests.conftest import base_config

TEMPLATES = {
    str(kind): {"template": f"{100000 + index}", "params": list(KIND_PARAMS[kind])}
    for index, kind in enumerate(SmsKind)
}
TENCENT = {
    "SMS_BACKEND": "tencent",
    "SMS_TEMPLATES": TEMPLATES,
    "SMS_TENCENT_SECRET_ID": "AKIDtestsecretid",
    "SMS_TENCENT_SECRET_KEY": "testsecretkey",
    "SMS_TENCENT_SDK_APP_ID": "1400000001",
    "SMS_TENCENT_REGION": "ap-guangzhou",
}
ALIYUN = {
    "SMS_BACKEND": "aliyun",
    "SMS_TEMPLATES": TEMPLATES,
    "SMS_ALIYUN_ACCESS_KEY_ID": "LTAItestkeyid",
    "SMS_ALIYUN_ACCESS_KEY_SECRET": "testkeysecret",
}
TENCENT_URL = "https://sms.tencentcloudapi.com/"
ALIYUN_URL = "https://dysmsapi.aliyuncs.com/"


def code_message() -> SmsMessage:
    return SmsMessage(
        id=42,
        mobile="13800000001",
        kind=str(SmsKind.CODE),
        params={"code": "493817", "minutes": "10"},
        body="【职工活动】您的验证码为493817，10分钟内有效。",
    )


def configure(app, settings: dict) -> None:
    app.config.update(settings)


# --- Tencent Cloud ----------------------------------------------------------------------------


def tencent_answer(code="Ok", message="send success"):
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "2028:f825e6b16e23f73f4123" if code == "Ok" else "",
                    "PhoneNumber": "+8613800000001",
                    "Fee": 1,
                    "SessionContext": "sms:42",
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


@responses.activate
def test_tencent_sends_the_template_with_its_parameters_in_order(app):
    configure(app, TENCENT)
    responses.post(TENCENT_URL, json=tencent_answer())
    reference = gateway_for(app).send(code_message())
    assert reference == "2028:f825e6b16e23f73f4123"
    (call,) = responses.calls
    request = call.request
    assert request.url == TENCENT_URL
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["X-TC-Version"] == "2021-01-11"
    assert request.headers["X-TC-Region"] == "ap-guangzhou"
    assert request.headers["Authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDtestsecretid/"
    )
    assert (
        "/sms/tc3_request, SignedHeaders=content-type;host, Signature="
        in (request.headers["Authorization"])
    )
    assert json.loads(request.body) == {
        "SmsSdkAppId": "1400000001",
        "SignName": "职工活动",
        "TemplateId": TEMPLATES["code"]["template"],
        "TemplateParamSet": ["493817", "10"],
        "PhoneNumberSet": ["+8613800000001"],
        "SessionContext": "sms:42",
    }


@responses.activate
def test_tencent_follows_the_configured_parameter_order(app):
    templates = {**TEMPLATES, "code": {"template": "777", "params": ["minutes", "code"]}}
    configure(app, {**TENCENT, "SMS_TEMPLATES": templates})
    responses.post(TENCENT_URL, json=tencent_answer())
    gateway_for(app).send(code_message())
    body = json.loads(responses.calls[0].request.body)
    assert (body["TemplateId"], body["TemplateParamSet"]) == ("777", ["10", "493817"])


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("LimitExceeded.PhoneNumberDailyLimit", True),
        ("FailedOperation.InsufficientBalanceInSmsPackage", True),
        ("InternalError.Timeout", True),
        ("FailedOperation.PhoneNumberInBlacklist", False),
        ("InvalidParameterValue.IncorrectPhoneNumber", False),
        ("FailedOperation.TemplateIncorrectOrUnapproved", False),
        ("FailedOperation.SignatureIncorrectOrUnapproved", False),
        ("InvalidParameterValue.TemplateParameterFormatError", False),
    ],
)
@responses.activate
def test_tencent_refusal_of_the_number_carries_its_code(app, code, retryable):
    configure(app, TENCENT)
    responses.post(TENCENT_URL, json=tencent_answer(code, "refused"))
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.message) == (code, "refused")
    assert refused.value.retryable is retryable


@pytest.mark.parametrize(
    ("code", "retryable"),
    [("RequestLimitExceeded", True), ("AuthFailure.SecretIdNotFound", False)],
)
@responses.activate
def test_tencent_refusal_of_the_request_is_the_sdks_exception(app, code, retryable):
    configure(app, TENCENT)
    responses.post(
        TENCENT_URL,
        json={"Response": {"Error": {"Code": code, "Message": "no"}, "RequestId": "r-1"}},
    )
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.retryable) == (code, retryable)


@responses.activate
def test_tencent_unreachable_is_retried(app):
    configure(app, TENCENT)
    responses.post(TENCENT_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.retryable) == ("ClientNetworkError", True)


# --- Alibaba Cloud ----------------------------------------------------------------------------


@responses.activate
def test_aliyun_sends_the_template_with_its_parameters_by_name(app):
    configure(app, ALIYUN)
    responses.post(
        ALIYUN_URL,
        json={"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F6"},
    )
    message = code_message()
    message.mobile = "+8613800000001"
    assert gateway_for(app).send(message) == "900619746936498440^0"
    (call,) = responses.calls
    request = call.request
    url = urlsplit(request.url)
    assert (url.scheme, url.netloc, url.path) == ("https", "dysmsapi.aliyuncs.com", "/")
    assert {key: values[0] for key, values in parse_qs(url.query).items()} == {
        "PhoneNumbers": "13800000001",
        "SignName": "职工活动",
        "TemplateCode": TEMPLATES["code"]["template"],
        "TemplateParam": '{"code":"493817","minutes":"10"}',
        "OutId": "42",
    }
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.headers["Authorization"].startswith(
        "ACS3-HMAC-SHA256 Credential=LTAItestkeyid,SignedHeaders="
    )
    assert ",Signature=" in request.headers["Authorization"]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isv.AMOUNT_NOT_ENOUGH", True),
        ("isp.SYSTEM_ERROR", True),
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.SMS_SIGNATURE_ILLEGAL", False),
        ("isv.BLACK_KEY_CONTROL_LIMIT", False),
        ("isv.TEMPLATE_MISSING_PARAMETERS", False),
    ],
)
@responses.activate
def test_aliyun_refusal_carries_its_code(app, code, retryable):
    configure(app, ALIYUN)
    responses.post(ALIYUN_URL, json={"Code": code, "Message": "refused", "RequestId": "F6"})
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.message) == (code, "refused")
    assert refused.value.retryable is retryable


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "Throttling.User", True),
        (503, "ServiceUnavailable", True),
        (404, "InvalidAccessKeyId.NotFound", False),
    ],
)
@responses.activate
def test_aliyun_http_error_is_the_tea_sdks_exception(app, status, code, retryable):
    configure(app, ALIYUN)
    responses.post(
        ALIYUN_URL, status=status, json={"Code": code, "Message": "no", "RequestId": "F6"}
    )
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.retryable) == (code, retryable)
    assert len(responses.calls) == 1  # the SDK's own retries stay off: the queue retries


@responses.activate
def test_aliyun_unreachable_is_retried(app):
    configure(app, ALIYUN)
    responses.post(ALIYUN_URL, body=requests.ConnectionError("connection refused"))
    with pytest.raises(SmsRefused) as refused:
        gateway_for(app).send(code_message())
    assert (refused.value.code, refused.value.retryable) == ("NetworkError", True)


# --- the outbox and the choice of gateway -----------------------------------------------------


def test_outbox_shows_codes_on_the_console_in_development(app, caplog):
    gateway = gateway_for(app)
    assert isinstance(gateway, OutboxGateway) and not gateway.delivers
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        assert gateway.send(code_message()) is None
        notice = code_message()
        notice.kind = str(SmsKind.EVENT_CANCELLED)
        gateway.send(notice)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ["SMS to 138****0001: 【职工活动】您的验证码为493817，10分钟内有效。"]


def test_outbox_never_shows_codes_in_production(app, caplog):
    app.config["ENV_NAME"] = "production"
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        gateway_for(app).send(code_message())
    assert "493817" not in caplog.text


def test_each_backend_builds_its_gateway(app):
    configure(app, TENCENT)
    assert isinstance(gateway_for(app), TencentGateway)
    configure(app, ALIYUN)
    assert isinstance(gateway_for(app), AliyunGateway)


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"SMS_BACKEND": "twilio"}, "SMS_BACKEND='twilio' is unknown"),
        ({**TENCENT, "SMS_TENCENT_SECRET_KEY": None}, "tencent needs SMS_TENCENT_SECRET_KEY"),
        (
            {**ALIYUN, "SMS_ALIYUN_ACCESS_KEY_ID": "", "SMS_SIGN_NAME": ""},
            "aliyun needs SMS_ALIYUN_ACCESS_KEY_ID, SMS_SIGN_NAME",
        ),
        (
            {**TENCENT, "SMS_TEMPLATES": {k: v for k, v in TEMPLATES.items() if k != "code"}},
            "code: no template id",
        ),
        (
            {**ALIYUN, "SMS_TEMPLATES": {**TEMPLATES, "code": {"template": "1", "params": ["x"]}}},
            "code: unknown parameter x (it has code, minutes)",
        ),
        ({"SMS_RATE_PER_SECOND": 0}, "SMS_RATE_PER_SECOND must be a positive number"),
    ],
)
def test_a_wrong_sms_setting_is_named(app, settings, complaint):
    config = {**app.config, **settings}
    with pytest.raises(ConfigurationError) as error:
        check_configuration(config)
    assert complaint in str(error.value)


def test_the_app_does_not_start_with_a_wrong_sms_setting(database_uri):
    settings = {**base_config(database_uri), "TESTING": False, **TENCENT}
    settings["SMS_TENCENT_SDK_APP_ID"] = None
    with pytest.raises(ConfigurationError, match="SMS_TENCENT_SDK_APP_ID"):
        create_app(settings)
    settings["SMS_TENCENT_SDK_APP_ID"] = "1400000001"
    assert isinstance(create_app(settings).config["SMS_TEMPLATES"], dict)


def test_sms_templates_are_read_as_json(monkeypatch):
    monkeypatch.setenv("SMS_TEMPLATES", json.dumps(TEMPLATES))
    monkeypatch.setenv("SMS_RATE_PER_SECOND", "50")
    config = from_environment()
    assert config["SMS_TEMPLATES"] == TEMPLATES and config["SMS_RATE_PER_SECOND"] == 50.0
    monkeypatch.setenv("SMS_TEMPLATES", "{code: 1}")
    with pytest.raises(ConfigurationError, match="SMS_TEMPLATES is not valid JSON"):
        from_environment()
    monkeypatch.setenv("SMS_TEMPLATES", "[1]")
    with pytest.raises(ConfigurationError, match="SMS_TEMPLATES must be a JSON object"):
        from_environment()
