CREATE TABLE `peer_status` (
	`key` text PRIMARY KEY NOT NULL,
	`peer_id` text NOT NULL,
	`issuer` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`jws` text NOT NULL,
	`copy_json` text,
	`signed_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`first_received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `peer_status_peer` ON `peer_status` (`peer_id`);--> statement-breakpoint
CREATE INDEX `peer_status_received` ON `peer_status` (`received_at`);--> statement-breakpoint
CREATE TABLE `status_cuts` (
	`list_id` text PRIMARY KEY NOT NULL,
	`authority_id` text NOT NULL,
	`version` integer NOT NULL,
	`size` integer NOT NULL,
	`count` integer NOT NULL,
	`set` text NOT NULL,
	`reasons` text,
	`cut_at` integer NOT NULL,
	`first_cut_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `status_cuts_authority` ON `status_cuts` (`authority_id`);--> statement-breakpoint
CREATE TABLE `status_patches` (
	`authority_id` text NOT NULL,
	`kind` text NOT NULL,
	`issued_at` integer NOT NULL,
	`jws` text NOT NULL,
	`versions_json` text NOT NULL,
	PRIMARY KEY(`authority_id`, `kind`, `issued_at`)
);
--> statement-breakpoint
CREATE INDEX `status_patches_issued` ON `status_patches` (`issued_at`);