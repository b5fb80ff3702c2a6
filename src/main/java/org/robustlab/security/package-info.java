/**
 * Who may do what: API keys (stored as SHA-256 hashes only, sent as {@code Authorization: Bearer} or
 * {@code X-API-Key}), the roles viewer, researcher and admin, the owner recorded on every job, evaluation
 * and model, and the one filter chain that applies them. On first start without keys, an admin key is
 * created and written to a file only its owner can read.
 */
package org.robustlab.security;
