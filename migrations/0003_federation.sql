CREATE TABLE `peer_anchors` (
	`id` text PRIMARY KEY NOT NULL,
	`role` text DEFAULT 'federated' NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`keys_json` text NOT NULL,
	`keys_source` text,
	`bundle_url` text NOT NULL,
	`scope_json` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`etag` text,
	`bundle_generated_at` text,
	`last_attempt_at` integer,
	`last_success_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE TABLE `peer_pieces` (
	`key` text PRIMARY KEY NOT NULL,
	`peer_id` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`jws` text NOT NULL,
	`sequence` integer,
	`issuer` text,
	`kid` text,
	`signed_at` integer NOT NULL,
	`expires_at` integer,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `peer_pieces_peer` ON `peer_pieces` (`peer_id`);--> statement-breakpoint
CREATE INDEX `peer_pieces_received` ON `peer_pieces` (`received_at`);