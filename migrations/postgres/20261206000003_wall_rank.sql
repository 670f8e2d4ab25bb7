-- Issue 11 (keep in step with the other dialect): the live wall at 100,000 users read
-- every user's last activity (a GROUP BY over chat_sessions) and latest sentiment (one
-- subquery per user) and sorted them all, ~270 ms on SQLite. These per-user columns are
-- kept up to date on write (a message touches its chat; a sentiment score is stored), so
-- the wall's order — after the few halted and flagged users — is one index scan.
--
-- wall_active_at: MAX(chat_sessions.updated_at) of the user, ms (0: none).
-- wall_valence: the valence of the user's newest scored message (highest message id),
--   9 when none is scored (after every valence, which is in [-1, 1]).
-- wall_valence_message: that message's id (0: none), so a late score of an older message
--   does not win.
ALTER TABLE end_users ADD COLUMN wall_active_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE end_users ADD COLUMN wall_valence DOUBLE PRECISION NOT NULL DEFAULT 9;
ALTER TABLE end_users ADD COLUMN wall_valence_message BIGINT NOT NULL DEFAULT 0;
UPDATE end_users SET wall_active_at = COALESCE(
    (SELECT MAX(s.updated_at) FROM chat_sessions s WHERE s.workspace_id = end_users.workspace_id AND s.end_user_id = end_users.id), 0);
UPDATE end_users SET
    wall_valence_message = COALESCE((SELECT MAX(ms.message_id) FROM message_sentiment ms
        WHERE ms.workspace_id = end_users.workspace_id AND ms.end_user_id = end_users.id), 0);
UPDATE end_users SET wall_valence = COALESCE((SELECT CAST(ms.valence AS DOUBLE PRECISION) FROM message_sentiment ms
        WHERE ms.message_id = end_users.wall_valence_message), 9)
    WHERE wall_valence_message > 0;
CREATE INDEX end_users_wall ON end_users (workspace_id, wall_valence, wall_active_at DESC, id DESC);
