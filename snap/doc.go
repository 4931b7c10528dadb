// Package snap implements the mechanics of Bank Indonesia's SNAP open-API
// standard (Standar Nasional Open API Pembayaran) that every provider we
// integrate builds on: X-TIMESTAMP values, X-EXTERNAL-ID generation, the amount
// object, response codes, and the asymmetric (SHA256withRSA) and symmetric
// (HMAC-SHA512) signatures with their server-side verifiers.
//
// The package is deliberately provider-neutral and imports nothing of ours:
// the Netzme client and the Netzme sandbox both use it, so a signature that the
// client makes is checked by exactly the same code on the simulated server.
//
// References in comments name sections of the SNAP standard notes
// ("snap §4.2") and of the Netzme vSNAP specification ("netzme §2.7"), as
// docs/protocol.md explains.
package snap
