// Package netzme is a strict SNAP client for the Toko Netzme vSNAP API (its
// sections cited as "§n.m"; docs/protocol.md lists what the code relies on
// and which parts are guesses): the B2B access token, HMAC-signed service
// calls, a typed context-first method for every Toko endpoint of §3, typed
// decoders for the callbacks Netzme sends, and the PIN hash of §2.15.
//
// Design choices that matter to callers:
//   - Money is int64 minor units (sen) in fields named ...Minor; on the wire
//     every amount, count and duration is a JSON string, so Netzme's gateway
//     cannot re-minify a number and break the signature (§2.7).
//   - Each request body is marshalled once; the exact bytes sent are signed.
//   - Calls that move money (see Endpoint.MovesMoney) are never retried. A
//     timeout, 5xx, 202 or unreadable answer on such a call returns an error
//     matching ErrOutcomeUnknown: reconcile with the status endpoint instead of
//     resubmitting.
//   - The only automatic retry is after a 401xx01 (token rejected), with a
//     fresh token: Netzme refused the request at the door, so nothing happened.
//   - Secrets (client secret, private key, token, PIN) never appear in errors
//     or in the bodies handed to the Observer.
package netzme
