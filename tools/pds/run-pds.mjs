// crosspost's throw-away atproto PDS for integration tests: @atproto/pds plus an in-memory
// did:plc directory in one node process, both listening on 127.0.0.1 only.
// https://github.com/bluesky-social/atproto/tree/main/packages/pds
// Started by tools/pds/pds.sh; prints one JSON line {"ready":true,...} when serving.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'

// resolve packages from the install folder (CROSSPOST_PDS_APP), not from this file's folder
const require = createRequire(path.join(process.env.CROSSPOST_PDS_APP, 'package.json'))
const atpds = require('@atproto/pds')
const plcLib = require('@did-plc/server')
const HOST = '127.0.0.1'
const started = Date.now()

// express' app.listen(port) binds every interface; pin it to loopback
function bindLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, HOST, ...rest.filter((x) => typeof x === 'function'))
}

const plc = plcLib.PlcServer.create({ db: plcLib.Database.mock(), port: 0 })
bindLoopback(plc.app)
const plcHttp = await plc.start()
// a host name, not 127.0.0.1: the PDS refuses to fetch DID documents from IP-literal URLs
const plcUrl = `http://localhost:${plcHttp.address().port}`

const port = Number(process.env.CROSSPOST_PDS_PORT)
const dataDir = process.env.CROSSPOST_PDS_DATA
fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

const env = {
  ...atpds.readEnv(),
  port,
  hostname: 'localhost', // public URL http://localhost:<port>, handle domain .test
  devMode: true, // plain http and localhost fetches
  inviteRequired: false,
  dataDirectory: dataDir,
  blobstoreDiskLocation: path.join(dataDir, 'blobs'),
  didPlcUrl: plcUrl,
  jwtSecret: crypto.randomBytes(16).toString('hex'),
  adminPassword: process.env.CROSSPOST_PDS_ADMIN_PASSWORD,
  plcRotationKeyK256PrivateKeyHex: crypto.randomBytes(32).toString('hex'),
  crawlers: [],
  // The PDS's own rate limits (3000 requests per 5 minutes per IP, 30 sign-ins per 5 minutes per
  // handle, repo writes per account ...), on only where a test asks: CROSSPOST_PDS_RATE_LIMITS=1.
  // A test's own setup (making 100 accounts) passes x-ratelimit-bypass: CROSSPOST_PDS_BYPASS_KEY.
  rateLimitsEnabled: process.env.CROSSPOST_PDS_RATE_LIMITS === '1',
  rateLimitBypassKey: process.env.CROSSPOST_PDS_BYPASS_KEY || undefined,
}
const pds = await atpds.PDS.create(atpds.envToCfg(env), atpds.envToSecrets(env))
bindLoopback(pds.app)
await pds.start()
console.log(JSON.stringify({ ready: true, url: `http://localhost:${port}`, plcUrl, pid: process.pid, ms: Date.now() - started }))

let stopping = false
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) return
    stopping = true
    await pds.destroy().catch(() => {})
    await plc.destroy().catch(() => {})
    process.exit(0)
  })
}
