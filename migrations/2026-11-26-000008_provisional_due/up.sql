-- A publication due date computed over a year whose national schedule was not yet published may
-- move when it is; the flag says so, and clears when the recomputation no longer needs a guess.
ALTER TABLE documents ADD COLUMN publish_due_provisional boolean NOT NULL DEFAULT false;
