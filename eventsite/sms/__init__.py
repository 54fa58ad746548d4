"""SMS: the queue of text messages to members' mobiles and the gateway that sends them.

A message is a row (`SmsMessage`) written in the caller's transaction by `service.queue_sms`,
so nothing is texted for work that rolls back; the scheduler sends queued rows after the commit
through the configured gateway (SMS_BACKEND: outbox, tencent or aliyun).
"""
