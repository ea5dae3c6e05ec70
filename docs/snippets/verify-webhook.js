// header x-gatehouse-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET, `${t}.${rawBody}`)>
const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers['x-gatehouse-signature']);
const expected = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
const valid = crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex')) && Math.abs(Date.now() / 1000 - t) < 300;
