CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`authority_id` text NOT NULL,
	`name` text NOT NULL,
	`actions` text NOT NULL,
	`licence_types` text,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_authority` ON `api_tokens` (`authority_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`authority_id` text,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`subject_id` text,
	`content_json` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_subject` ON `audit_log` (`subject_id`,`seq`);--> statement-breakpoint
CREATE TABLE `authorities` (
	`id` text PRIMARY KEY NOT NULL,
	`did` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`jurisdiction` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `authorities_did_unique` ON `authorities` (`did`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`authority_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`result_json` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`authority_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `licence_types` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`schema_version` text NOT NULL,
	`schema_json` text NOT NULL,
	`built_in` integer NOT NULL,
	`registered_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `licences` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`type` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`holder_name` text,
	`status` text NOT NULL,
	`status_reason` text,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`issued_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`kid` text NOT NULL,
	`jws` text NOT NULL,
	`revocation_list_id` text NOT NULL,
	`revocation_index` integer NOT NULL,
	`suspension_list_id` text NOT NULL,
	`suspension_index` integer NOT NULL,
	`supersedes` text,
	`superseded_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `licences_revocation_slot` ON `licences` (`revocation_list_id`,`revocation_index`);--> statement-breakpoint
CREATE UNIQUE INDEX `licences_suspension_slot` ON `licences` (`suspension_list_id`,`suspension_index`);--> statement-breakpoint
CREATE INDEX `licences_authority_id` ON `licences` (`authority_id`,`id`);--> statement-breakpoint
CREATE INDEX `licences_authority_holder` ON `licences` (`authority_id`,`holder_credit_code`,`id`);--> statement-breakpoint
CREATE INDEX `licences_revoked_slot` ON `licences` (`revocation_list_id`,`revocation_index`) WHERE "licences"."status" = 'revoked';--> statement-breakpoint
CREATE INDEX `licences_suspended_slot` ON `licences` (`suspension_list_id`,`suspension_index`) WHERE "licences"."status" = 'suspended';--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`owner_kind` text NOT NULL,
	`owner_id` text NOT NULL,
	`alg` text NOT NULL,
	`public_jwk` text NOT NULL,
	`status` text NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `signing_keys_owner` ON `signing_keys` (`owner_kind`,`owner_id`,`status`);--> statement-breakpoint
CREATE TABLE `status_lists` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`purpose` text NOT NULL,
	`seq` integer NOT NULL,
	`size` integer NOT NULL,
	`allocated` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`published_version` integer,
	`published_jws` text,
	`published_json` text,
	`published_at` integer,
	`published_valid_until` integer,
	CONSTRAINT "status_lists_capacity" CHECK("status_lists"."allocated" <= "status_lists"."size")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `status_lists_seq` ON `status_lists` (`authority_id`,`purpose`,`seq`);--> statement-breakpoint
CREATE TABLE `trust_lists` (
	`seq` integer PRIMARY KEY NOT NULL,
	`jws` text NOT NULL,
	`issued_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `trust_registry` (
	`id` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`jurisdiction` text NOT NULL,
	`status` text NOT NULL,
	`licence_types` text NOT NULL,
	`keys_json` text NOT NULL,
	`source` text,
	`updated_at` integer NOT NULL
);
