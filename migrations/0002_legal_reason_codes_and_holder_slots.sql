-- Reason codes (docs/credential-format.md §Status reasons): revocation reasons stored before the codes
-- existed are mapped as the API maps its aliases. Only revoked licences: `holder_request` is also a
-- suspension ground, which stays as it is.
UPDATE `licences` SET `status_reason` = 'rescinded' WHERE `status` = 'revoked' AND `status_reason` IN ('fraud', 'cancelled');--> statement-breakpoint
UPDATE `licences` SET `status_reason` = 'deregistered' WHERE `status` = 'revoked' AND `status_reason` = 'holder_request';--> statement-breakpoint
-- One active business licence per holder: the built-in type declares it (registered types choose on registration).
UPDATE `licence_types` SET `unique_per_holder` = 1 WHERE `code` = 'BusinessLicence' AND `built_in` = 1;--> statement-breakpoint
-- The licences already issued claim their holder slots: per holder, the active or suspended licence that
-- ends last (then the newest). Slots of expired licences are released by the next issue for that holder.
INSERT OR IGNORE INTO `holder_slots` (`authority_id`, `type`, `holder_credit_code`, `licence_id`, `valid_until`)
  SELECT `l`.`authority_id`, `l`.`type`, `l`.`holder_credit_code`, `l`.`id`, `l`.`valid_until`
  FROM `licences` AS `l` JOIN `licence_types` AS `t` ON `t`.`code` = `l`.`type`
  WHERE `t`.`unique_per_holder` = 1 AND `l`.`status` IN ('active', 'suspended')
  ORDER BY `l`.`valid_until` DESC, `l`.`id` DESC;
