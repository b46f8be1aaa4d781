// require() of the ESM packages, which Node.js supports from 20.19 (the engines floor).
const assert = require('node:assert/strict');
const { Client, KeyNotFound } = require('@etc/client');
const { mockEtcd } = require('@etc/mock');

assert.ok(mockEtcd() instanceof Client);
assert.equal(typeof KeyNotFound, 'function');
console.log('smoke.cjs: ok');
