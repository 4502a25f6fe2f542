CREATE TABLE `holder_access` (
	`authority_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`code_hash` text NOT NULL,
	`generation` integer NOT NULL,
	`created_at` integer NOT NULL,
	`rotated_at` integer NOT NULL,
	PRIMARY KEY(`authority_id`, `holder_credit_code`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `holder_access_code_hash_unique` ON `holder_access` (`code_hash`);--> statement-breakpoint
CREATE TABLE `holder_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`holder_credit_code` text NOT NULL,
	`generation` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `holder_sessions_holder` ON `holder_sessions` (`authority_id`,`holder_credit_code`);