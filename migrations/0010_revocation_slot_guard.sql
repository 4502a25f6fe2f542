-- Revocation slots are held by three tables (licences, bound copies, agent authorisations), each with its
-- own unique slot index; these triggers make a slot taken in one table refused in the others with the
-- same "UNIQUE constraint failed" a writer already retries on (docs/credential-format.md, "Bound copies").
CREATE TRIGGER `licences_revocation_slot_free` BEFORE INSERT ON `licences`
WHEN EXISTS (SELECT 1 FROM `bound_copies` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
  OR EXISTS (SELECT 1 FROM `agent_authorisations` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: revocation slot held by a bound copy or agent authorisation'); END;
--> statement-breakpoint
CREATE TRIGGER `bound_copies_revocation_slot_free` BEFORE INSERT ON `bound_copies`
WHEN EXISTS (SELECT 1 FROM `licences` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
  OR EXISTS (SELECT 1 FROM `agent_authorisations` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: revocation slot held by a licence or agent authorisation'); END;
--> statement-breakpoint
CREATE TRIGGER `agent_authorisations_revocation_slot_free` BEFORE INSERT ON `agent_authorisations`
WHEN EXISTS (SELECT 1 FROM `licences` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
  OR EXISTS (SELECT 1 FROM `bound_copies` WHERE `revocation_list_id` = NEW.`revocation_list_id` AND `revocation_index` = NEW.`revocation_index`)
BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: revocation slot held by a licence or bound copy'); END;
