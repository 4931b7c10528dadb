package sandbox

import "time"

// FaultKind is how an injected API fault answers.
type FaultKind int

// Fault kinds.
const (
	FaultTimeout FaultKind = iota + 1 // hang until the client gives up
	Fault500                          // HTTP 500 with the gateway's non-SNAP body
	FaultGarbage                      // HTTP 200 with a body that is not JSON
)

func (k FaultKind) String() string {
	switch k {
	case FaultTimeout:
		return "timeout"
	case Fault500:
		return "500"
	case FaultGarbage:
		return "garbage"
	}
	return "none"
}

// ParseFaultKind maps "timeout", "500", "garbage" to a FaultKind (0 if unknown).
func ParseFaultKind(s string) FaultKind {
	for _, k := range []FaultKind{FaultTimeout, Fault500, FaultGarbage} {
		if k.String() == s {
			return k
		}
	}
	return 0
}

// Fault makes the next Count calls of an endpoint fail. With Apply the
// operation still takes effect before the fault answers — "Withdraw Process
// times out but Netzme did pay".
type Fault struct {
	Kind  FaultKind
	Count int // 0 = 1
	Apply bool
}

// InjectFault queues f for endpoint (one of the Endpoint* names).
func (s *Sandbox) InjectFault(endpoint string, f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults[endpoint] = append(s.faults[endpoint], f)
}

// ClearFaults removes every pending API and callback fault.
func (s *Sandbox) ClearFaults() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = map[string][]Fault{}
	s.cbFaults = nil
}

func (s *Sandbox) takeFault(endpoint string) (Fault, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	q := s.faults[endpoint]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	q[0].Count--
	if q[0].Count <= 0 {
		s.faults[endpoint] = q[1:]
	}
	return f, true
}

// PendingFaults returns the queued API faults per endpoint.
func (s *Sandbox) PendingFaults() map[string][]Fault {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := map[string][]Fault{}
	for k, v := range s.faults {
		if len(v) > 0 {
			out[k] = append([]Fault(nil), v...)
		}
	}
	return out
}

// CallbackFaultKind is what happens to an affected callback.
type CallbackFaultKind int

// Callback fault kinds.
const (
	CallbackDrop      CallbackFaultKind = iota + 1 // never sent (the state change still happened)
	CallbackDelay                                  // first attempt only after Delay
	CallbackDuplicate                              // delivered twice
)

func (k CallbackFaultKind) String() string {
	switch k {
	case CallbackDrop:
		return "drop"
	case CallbackDelay:
		return "delay"
	case CallbackDuplicate:
		return "duplicate"
	}
	return "none"
}

// CallbackFault affects the next Count callbacks of any kind.
type CallbackFault struct {
	Kind  CallbackFaultKind
	Count int           // 0 = 1
	Delay time.Duration // CallbackDelay only; 0 = 5 s
}

// InjectCallbackFault queues f for the next callbacks.
func (s *Sandbox) InjectCallbackFault(f CallbackFault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	if f.Kind == CallbackDelay && f.Delay <= 0 {
		f.Delay = 5 * time.Second
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.cbFaults = append(s.cbFaults, f)
}

func (s *Sandbox) takeCallbackFault() (CallbackFault, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if len(s.cbFaults) == 0 {
		return CallbackFault{}, false
	}
	f := s.cbFaults[0]
	s.cbFaults[0].Count--
	if s.cbFaults[0].Count <= 0 {
		s.cbFaults = s.cbFaults[1:]
	}
	return f, true
}
