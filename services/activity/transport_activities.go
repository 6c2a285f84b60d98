package activity

// mountActivities mounts activities, sign-ups and attendance.
func (rt router) mountActivities(svc *Service) {}
